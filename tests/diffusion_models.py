"""Tiny random-weight diffusers pipelines built from config classes, saved with save_pretrained, for
testing the diffusion animators offline (no hub, no download). Sizes follow diffusers' own tests."""

from __future__ import annotations

from pathlib import Path


def tiny_t5(folder: Path, umt5: bool = False):
    """A 2-layer T5 (or UMT5, as Wan uses) encoder and a small Unigram tokenizer (a WordLevel
    vocabulary does not load back)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import T5Config, T5EncoderModel, T5TokenizerFast, UMT5Config, UMT5EncoderModel

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [
        (f"\u2581{word}", -1.0) for word in "a person talking to the camera natural head movement".split()
    ] + [(ch, -5.0) for ch in "abcdefghijklmnopqrstuvwxyz,."]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=2))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    fast = T5TokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                           extra_ids=0)
    config_class, encoder_class = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    config = config_class(vocab_size=len(pieces), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                          relative_attention_num_buckets=8)
    return encoder_class(config), fast


def tiny_ltx(folder: Path) -> Path:
    """A tiny LTX image-to-video pipeline (VAE: 4x spatial, 4x temporal compression) saved in ``folder``."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False,
        patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
    text_encoder, tokenizer = tiny_t5(folder)
    pipe = LTXImageToVideoPipeline(transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
                                   text_encoder=text_encoder, tokenizer=tokenizer)
    pipe.save_pretrained(folder)
    return folder


def tiny_wan(folder: Path) -> Path:
    """A tiny Wan 2.2 TI2V-style pipeline (no image encoder, expand_timesteps; VAE 16x spatial, 4x
    temporal, transformer patches of 2) saved in ``folder``."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                           latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           scale_factor_spatial=16, scale_factor_temporal=4, temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=48, out_channels=48, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    text_encoder, tokenizer = tiny_t5(folder, umt5=True)
    pipe = WanImageToVideoPipeline(transformer=transformer, vae=vae, scheduler=scheduler, text_encoder=text_encoder,
                                   tokenizer=tokenizer, transformer_2=None, image_encoder=None, image_processor=None,
                                   boundary_ratio=None, expand_timesteps=True)
    pipe.save_pretrained(folder)
    return folder
