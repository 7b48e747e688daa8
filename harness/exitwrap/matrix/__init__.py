"""The conformance matrix: every scenario under every shell, judged, and fed to the accounting."""
