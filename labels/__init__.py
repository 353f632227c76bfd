"""Labels derived from raw render passes, dataset writers and readers. Never imports bpy.

Start at :func:`labels.frame.compute_frame_labels` (one frame's labels) and
:func:`labels.native.write_frame` (the batch folder); ``labels/README.md`` documents the
conventions and the on-disk layout.
"""
