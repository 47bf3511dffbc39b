"""The Python side of saex: runs a Hugging Face model, records activations at a named hook, and
optionally encodes them with SAE dictionaries in torch. The command line is scripts/dump_activations.py;
docs/BRIDGE.md describes everything."""

VERSION = "2.0"
PRODUCER = f"saex dump_activations.py {VERSION}"
