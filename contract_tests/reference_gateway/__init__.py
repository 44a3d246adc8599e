"""A conformant Livepeer AI gateway that needs no model weights."""
