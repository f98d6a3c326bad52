"""Cells of every export (CSV and spreadsheets) made safe for spreadsheet programs.

A cell that starts with = + - @, a tab or a carriage return is read by Excel and WPS as a formula
(`=HYPERLINK(...)`, `@SUM(...)`): a customer name typed by a clerk could then run in an auditor's
spreadsheet. Such text gets a leading apostrophe, which spreadsheets show as text and never evaluate.
Numbers, dates and empty cells pass unchanged. Every export in the project writes its cells through here.
"""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as it may go into a CSV or spreadsheet cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values):
    return [safe_cell(v) for v in values]
