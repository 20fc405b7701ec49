"""Moving comments in from other systems, and out again.

    records.py    SourceComment: one comment as a reader hands it over, its status already ours
    html_text.py  HTML comments (Disqus, Twikoo, WordPress) to the plain text Moderato stores
    disqus.py, wordpress.py, isso.py, waline.py, twikoo.py, artalk.py, moderato.py
                  one reader per system's export file
    importer.py   plan (the dry run's counts) and write, remembering each source id (models.py)
    export.py     Moderato's JSON export and WordPress's WXR
"""
