"""`make bench`: each module here is one section, measured side by side in one run."""
