"""Back-to-school uploads: templates, validation, matching."""
