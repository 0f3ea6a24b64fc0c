"""The field's standards: OpenAPI, the CKAN Action API, DCAT-AP with ODRL, schema.org, Atom, data
packages and the Dataspace Protocol catalog. Each module maps the catalog's services to one standard."""
