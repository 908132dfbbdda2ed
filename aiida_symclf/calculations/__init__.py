"""Process functions of the plugin (``functions``), in the layout of aiida-quantumespresso."""
