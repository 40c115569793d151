"""Face detection and the 468-point face mesh from MediaPipe's bundled TFLite models."""

from reel.faces.mesh import FaceMesh, FaceResult, load_face_mesh

__all__ = ["FaceMesh", "FaceResult", "load_face_mesh"]
