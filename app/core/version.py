"""The release, as GET /api/v1/meta and the console show it."""
VERSION = "2.0.0"
