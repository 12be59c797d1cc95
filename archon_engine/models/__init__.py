"""Model access: one client over litellm, the embedded local model, and a fake for tests."""
