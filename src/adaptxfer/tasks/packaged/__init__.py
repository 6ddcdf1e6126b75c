"""Offline real data from PyPI packages beyond the Bible: BIG-bench task files, GSM8K's
test problems, pattern's tagged corpora, the Turkish web treebank.

:mod:`.archives` fetches and extracts each pinned package file once (:mod:`.sources`
lists them); the other modules turn the files into task splits.
"""
