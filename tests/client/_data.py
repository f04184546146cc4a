"""Valid create and update bodies for every resource, for tests that walk the table."""

from __future__ import annotations

from typing import Any

CREATE: dict[str, dict[str, Any]] = {
    "agents": {"first_name": "Ada", "last_name": "Agent", "email": "ada@example.com"},
    "contacts": {"first_name": "Cy", "last_name": "Contact"},
    "properties": {"address": "1 Test St", "city": "Austin", "listing_price": 500000},
    "teams": {"name": "North"},
    "users": {"email": "user@example.com"},
    "tags": {"name": "hot"},
    "property_contacts": {},  # filled in with a real contact_id by the test
    "property_documents": {"name": "disclosure.pdf"},
    "property_emails": {"subject": "Offer received"},
    "property_notes": {"content": "Called the seller"},
    "property_tasks": {"title": "Order inspection", "status": "pending"},
}

UPDATE: dict[str, tuple[str, Any]] = {
    "agents": ("first_name", "Ada B."),
    "contacts": ("last_name", "Renamed"),
    "properties": ("city", "Dallas"),
    "teams": ("name", "South"),
    "users": ("email", "other@example.com"),
    "tags": ("name", "cold"),
    "property_contacts": ("role", "buyer"),
    "property_documents": ("name", "final.pdf"),
    "property_emails": ("subject", "Offer accepted"),
    "property_notes": ("content", "Seller called back"),
    "property_tasks": ("status", "completed"),
}
