"""The smallest end-to-end path through the app, on every backend."""

from __future__ import annotations

from tests.support.api import gql
from tests.support.factories import VIEWER, add_account, log_in


async def test_a_private_account_signs_in_with_a_cookie_and_sees_itself(app, client):
    # given
    code = await add_account(app)
    # when
    result = await log_in(client, code.lower())
    viewer = await gql(client, VIEWER)
    # then
    assert result["__typename"] == "LogInPayload"
    assert result["token"] is None
    assert viewer["data"]["viewer"]["accessCode"] == code
    assert viewer["data"]["viewer"]["usage"] == "PRIVATE"
