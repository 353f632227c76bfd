"""Asset sources: embedded procedural meshes, user mesh folders, HDRIs, textures."""
