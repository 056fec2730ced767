"""The terms of a comment, and each response's terms stored for the term rollups.

A comment becomes terms the way /reports/themes counts them (docs/definitions.md): text
lower-cased with diacritics removed (as SQLite's FTS5 `unicode61 remove_diacritics`
tokenizer does, so a term found here is a word the search finds); words are the runs of
letters and digits, so an apostrophe splits a word as it does in the search ("don't" is
"don" and "t", both stop words); words without a letter (order numbers, amounts) and
single letters are dropped, and so are the English and Indonesian stop words of the
`stopwordsiso` lists. Each remaining word is known by its Sastrawi stem ("pelayanan" and
"layanan" are both "layan"; a word Sastrawi cannot reduce to a root it knows, English
ones included, is its own stem), and each pair of adjacent remaining words by its two
stems. A term is counted under its key (the stem or the two stems) and the form it was
written in, so a theme can be shown by its most frequent form.

`response_terms` holds each response's terms with its class (low, high or other, the
response's scores decide). The triggers in surveys/store/term_rollups.py count these rows into
the term rollups, move them when new scores change the class, and remove them when the
comment changes or is erased. Stemming is Python, so the rows themselves are written here,
on every path that writes a comment: `store_terms` after a survey submit, the demo,
`reindex` for `flask rollups rebuild` and the migration that added them.
"""

import re
import unicodedata
from collections import Counter
from functools import lru_cache

import stopwordsiso
from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from surveys.store import rollups, term_rollups

LANGUAGES = ("en", "id")
# Runs of letters and digits ([^\W_] is \w without the underscore), as FTS5 splits words.
WORD = re.compile(r"[^\W_]+")
LETTER = re.compile(r"[^\W\d_]")


def folded(text):
    """Lower-cased, with diacritics removed (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1)
def stop_words():
    """The English and Indonesian stop words, folded as comments are."""
    return frozenset(folded(word) for word in stopwordsiso.stopwords(list(LANGUAGES)))


class RootWords(ArrayDictionary):
    """Sastrawi's dictionary of root words in a set: its own keeps them in a list, and a
    stemmer looks words up dozens of times per word (about 0.2 s a word, not 0.1 ms)."""

    def __init__(self, words):
        super().__init__()
        self.words = frozenset(words)


@lru_cache(maxsize=1)
def stemmer():
    """Sastrawi's stemmer with its root words in a set (built once per process)."""
    return Stemmer(RootWords(StemmerFactory().get_words()))


# Sastrawi tries many affix combinations per word; comments repeat a small vocabulary.
@lru_cache(maxsize=100_000)
def stem(word):
    """A word's Sastrawi stem (the word itself when Sastrawi knows no root for it)."""
    return stemmer().stem(word) or word


def words(text):
    """The comment's remaining words, in order, as (stem, form) pairs."""
    dropped = stop_words()
    return [
        (stem(word), word)
        for word in WORD.findall(folded(text))
        if len(word) > 1 and LETTER.search(word) and word not in dropped
    ]


def comment_terms(text):
    """Counter of (term, form): the remaining words and the pairs of adjacent ones."""
    kept = words(text or "")
    terms = Counter(kept)
    terms.update(
        (f"{first[0]} {second[0]}", f"{first[1]} {second[1]}")
        for first, second in zip(kept, kept[1:], strict=False)
    )
    return terms


INSERT_SQL = f"""
INSERT INTO response_terms (response_id, term, form, n, class)
SELECT id, :term, :form, :n, {term_rollups.CLASS_SQL.format(row="responses")}
  FROM responses WHERE id = :response_id
"""  # noqa: S608 (a fixed SQL fragment)

# Responses whose comment has no stored terms yet (a new or changed comment: the trigger
# removed the old terms), narrowed by {condition}.
UNINDEXED_SQL = """
SELECT id, comment FROM responses
 WHERE comment IS NOT NULL {condition}
   AND NOT EXISTS (SELECT 1 FROM response_terms WHERE response_id = responses.id)
"""


def store_missing(db, condition="", params=()):
    """Store the terms of responses with a comment but no terms (narrowed by `condition`, a
    fixed SQL fragment over `responses`); how many responses. Run in a write transaction."""
    rows = db.execute(UNINDEXED_SQL.format(condition=condition), params).fetchall()
    db.conn.executemany(
        INSERT_SQL,
        (
            {"response_id": response_id, "term": term, "form": form, "n": n}
            for response_id, comment in rows
            for (term, form), n in comment_terms(comment).items()
        ),
    )
    return len(rows)


def store_terms(db, invitation_id):
    """Store the terms of the invitation's response when its comment is new or changed
    (inside the transaction that saved it)."""
    store_missing(db, "AND invitation_id = ?", [invitation_id])


def reindex(db):
    """Every response's terms again from its comment, and the term rollups recounted (after
    a hand edit of comments, or a new tokenizer). Run in a write transaction."""
    rollups.drop_triggers(db)
    for table in ("response_terms", *term_rollups.TABLES):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
    store_missing(db)
    for statement in term_rollups.rebuild_statements():
        db.execute(statement)
    rollups.create_triggers(db)
