"""A bad callback URL: the form comes back with the error next to the field, nothing stored."""

from playwright.sync_api import expect

from console import SAGECRM_PASSWORD, fill_sagecrm_form, open_create_form, sign_in


def test_a_bad_callback_url_is_shown_next_to_its_field(server, simulator, page, check):
    sign_in(page, server)
    open_create_form(page)
    fill_sagecrm_form(page, simulator, "ftp://example.com/hook")
    page.get_by_role("button", name="Create Instance").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Create a Sage CRM instance")
    expect(page.get_by_role("alert")).to_contain_text("The instance was not created")
    field = page.get_by_label("Event Notification Callback URL")
    expect(field).to_have_value("ftp://example.com/hook")
    expect(field).to_have_attribute("aria-invalid", "true")
    # The message sits in the field's own block and is announced with it.
    error = page.locator("div.field", has=field).locator(".field-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    error_id = error.get_attribute("id")
    assert error_id in (field.get_attribute("aria-describedby") or "").split()
    # The summary above the form links to the field.
    expect(page.get_by_role("alert").locator(f'a[href="#{field.get_attribute("id")}"]')).to_have_count(1)
    # Secrets are asked again, never put back into the page.
    expect(page.get_by_label("Password")).to_have_value("")
    check("create-validation-error")
    assert SAGECRM_PASSWORD not in page.content()
    assert server.instances() == []
