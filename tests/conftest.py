"""Test scheduling across xdist workers (``scripts/test.sh`` runs ``--dist loadgroup``).

Every test file runs whole on one worker (as ``--dist loadfile``), except the tests that drive
the repository's Meltano project: they share its ``.meltano/`` (plugin virtualenvs, and the
run directory where Meltano writes each plugin's catalog and config), so two of them at once
on two workers would install the same plugin twice or interleave one catalog file. They form one
group, ``meltano``, on one worker: the end-to-end files (marker ``e2e``) and any test marked
``xdist_group("meltano")``.
"""

from __future__ import annotations

import pytest

MELTANO_GROUP = "meltano"


@pytest.hookimpl(tryfirst=True)  # before xdist turns the marks into scheduling groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        group = MELTANO_GROUP if item.get_closest_marker("e2e") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
