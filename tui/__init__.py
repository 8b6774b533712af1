"""The front ends: the Textual app and the headless CLI, both thin consumers
of ``core.train``'s event stream."""
