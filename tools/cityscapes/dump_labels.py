"""Dump the official Cityscapes label table (cityscapesscripts.helpers.labels) to JSON.

The TypeScript class table (lib/data/datasets/tables/cityscapes.ts) is written by hand;
test/data/cityscapes-table.test.ts compares it with this independent dump.

    python3 tools/cityscapes/dump_labels.py   # writes test/fixtures/eval/cityscapes_labels.json
"""
import json
import os

from importlib.metadata import version

from cityscapesscripts.helpers.labels import labels

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'eval', 'cityscapes_labels.json')


def main():
    rows = [
        {
            'name': l.name,
            'id': l.id,
            'trainId': l.trainId,
            'category': l.category,
            'catId': l.categoryId,
            'hasInstances': bool(l.hasInstances),
            'ignoreInEval': bool(l.ignoreInEval),
            'color': list(l.color),
        }
        for l in labels
    ]
    doc = {
        'source': 'cityscapesscripts.helpers.labels.labels (cityscapesScripts %s)' % version('cityscapesScripts'),
        'labels': rows,
    }
    with open(OUT, 'w') as f:
        f.write('{\n "source": %s,\n "labels": [\n' % json.dumps(doc['source']))
        f.write(',\n'.join('  ' + json.dumps(r) for r in rows))
        f.write('\n ]\n}\n')
    print('wrote %s (%d labels)' % (os.path.normpath(OUT), len(rows)))


if __name__ == '__main__':
    main()
