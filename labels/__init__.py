"""Labels derived from raw render passes, dataset writers and readers. Never imports bpy."""
