"""Calibration targets taken from the seeds (targets.toml) and, later, the calibration code (issue 3)."""
