"""Customers: questions, distribution rules, links, suppression, mail, the survey pages."""
