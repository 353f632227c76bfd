#version 330 core
// Label pass: writes (first triangle index of this mesh + gl_PrimitiveID + 1) as a 24-bit
// integer in RGB, so every pixel centre names the one triangle that covers it (0 = nothing).
// pyrender sets `color` to the per-node colour / 255; we pass the mesh's triangle offset as
// three bytes (little-endian) in it. Flat output, no lighting, no blending: exact bytes.
uniform vec3 color;
out vec4 frag_color;

void main()
{
    uvec3 offset_bytes = uvec3(round(color * 255.0));
    uint offset = offset_bytes.r | (offset_bytes.g << 8u) | (offset_bytes.b << 16u);
    uint index = offset + uint(gl_PrimitiveID) + 1u;
    frag_color = vec4(float(index & 255u), float((index >> 8u) & 255u),
                      float((index >> 16u) & 255u), 255.0) / 255.0;
}
