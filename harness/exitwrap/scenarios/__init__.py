"""The built-in scenario catalog: stable ids, each scenario's script per dialect and layer."""
