"""Signing in to the console with the account's secrets."""

import re

from playwright.sync_api import expect

from console import sign_in
from conftest import ORG_SECRET


def test_a_wrong_secret_is_refused_and_the_right_ones_sign_in(server, page, check):
    page.goto(server.url("/console"))
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.get_by_label("Organization secret").fill(ORG_SECRET)
    page.get_by_label("User secret").fill("not-the-user-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("secret is wrong")
    check("sign-in-refused")

    sign_in(page, server, check)
    expect(page.get_by_role("heading", level=1)).to_have_text("Instances")
    check("instances-empty")
    cookies = [c for c in page.context.cookies() if c["name"] == "pollhook_console"]
    assert len(cookies) == 1, cookies
    assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict", cookies[0]
    assert cookies[0]["path"] == "/console", cookies[0]

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.goto(server.url("/console"))
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
