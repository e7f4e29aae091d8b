"""Turkish: Django's date formats and names, but numbers keep the decimal point.

Amounts, rates and coordinates are rendered into form inputs, SVG attributes and
copied into other systems; the forms and the API read "12.50", so a Turkish page
must not print "12,50".
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 0
