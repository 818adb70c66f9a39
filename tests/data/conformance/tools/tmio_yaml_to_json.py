"""Reads a turingmachine.io example (a saved document: `source code:` holds the machine) and
prints the machine as JSON the way js-yaml hands it to the site's JavaScript: mapping keys
become strings (a YAML list key [1,0] the string "1,0"; true "true"), values stay as parsed.
Usage: python3 tmio_yaml_to_json.py example.yaml"""
import json
import sys

import yaml


def js_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return ",".join(js_string(x) for x in v)
    return str(v)


class Loader(yaml.SafeLoader):
    pass


def mapping(loader, node):
    out = {}
    for k, v in node.value:
        key = loader.construct_object(k, deep=True)
        out[js_string(key)] = loader.construct_object(v, deep=True)
    return out


def sequence(loader, node):
    return tuple(loader.construct_object(x, deep=True) for x in node.value)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)

doc = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=Loader)
if "source code" in doc:
    doc = yaml.load(doc["source code"], Loader=Loader)
print(json.dumps(doc))
