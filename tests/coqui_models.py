"""Tiny random-weight Coqui models (VITS, XTTS v2) built from config classes and saved as Coqui model folders
(config.json + model.pth, and speakers.pth for several speakers), as Coqui itself saves them."""

from __future__ import annotations

from pathlib import Path

HOP = 256


def tiny_vits(folder: Path, speakers: list[str] | None = None, seed: int = 0) -> Path:
    import torch
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder.mkdir(parents=True, exist_ok=True)
    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_heads_text_encoder=2,
                    num_layers_text_encoder=1, num_layers_flow=1, num_layers_posterior_encoder=1, kernel_size_flow=3,
                    upsample_rates_decoder=[8, 8, 2, 2], upsample_initial_channel_decoder=32,
                    upsample_kernel_sizes_decoder=[16, 16, 4, 4], resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3, 5]], init_discriminator=False,
                    use_speaker_embedding=bool(speakers),
                    speaker_embedding_channels=8,
                    speakers_file=str(folder / "speakers.pth") if speakers else None)
    characters = CharactersConfig(characters_class="TTS.tts.models.vits.VitsCharacters", pad="_", eos="", bos="",
                                  blank="<BLNK>", characters="abcdefghijklmnopqrstuvwxyz",
                                  punctuations="!'(),-.:;? ", phonemes=None, is_unique=True, is_sorted=True)
    config = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="english_cleaners", characters=characters,
                        add_blank=True,
                        speakers_file=str(folder / "speakers.pth") if speakers else None,
                        use_speaker_embedding=bool(speakers),
                        audio=BaseAudioConfig(sample_rate=16000, hop_length=HOP, win_length=1024, fft_size=1024,
                                              num_mels=80))
    if speakers:
        torch.save({name: index for index, name in enumerate(speakers)}, folder / "speakers.pth")
    torch.manual_seed(seed)
    model = Vits.init_from_config(config)
    config.save_json(str(folder / "config.json"))
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    return folder


def tiny_xtts(folder: Path, seed: int = 0) -> Path:
    """An XTTS v2 model of one GPT layer (22 M parameters, most in its HiFi-GAN decoder and speaker
    encoder) with a letter vocabulary; at most 40 audio tokens (1.7 s) per sentence."""
    import torch
    from tokenizers import Tokenizer, models
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts, XttsArgs, XttsAudioConfig

    folder.mkdir(parents=True, exist_ok=True)
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]"]
    vocabulary = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(special + list("abcdefghijklmnopqrstuvwxyz.,!?'-"))},
                                      merges=[], unk_token="[UNK]"))
    vocabulary.add_special_tokens(special)
    vocabulary.save(str(folder / "vocab.json"))
    args = XttsArgs(gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_max_audio_tokens=40,
                    gpt_max_text_tokens=200, gpt_max_prompt_tokens=70, decoder_input_dim=32, gpt_num_audio_tokens=66,
                    gpt_start_audio_token=64, gpt_stop_audio_token=65, tokenizer_file=str(folder / "vocab.json"))
    config = XttsConfig(model_args=args, audio=XttsAudioConfig(), languages=["en"])
    torch.manual_seed(seed)
    model = Xtts.init_from_config(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(folder / "vocab.json"))  # init_models sizes from it
    model.init_models()
    config.save_json(str(folder / "config.json"))
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    return folder
