"""Foundation shared by every layer: data files with locations, instants and calendar windows,
message-text normalisation and carrier keys (one key for a carrier whoever reads its name).

Nothing here imports the tap, the card engine, reconciliation or the sandbox (the
import-linter contract in ``pyproject.toml`` checks it).
"""
