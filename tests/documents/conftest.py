"""The development seal, made once for the document tests (no database needed)."""

from __future__ import annotations

import pytest

from gql.documents.signing import SealCredentials, development_seal
from tests.support.products import EXTRACTED_AT


@pytest.fixture(scope="session")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealCredentials:
    return development_seal(tmp_path_factory.mktemp("data"), now=EXTRACTED_AT)
