-- An Isso database (comments.db) written by hand with Isso's own schema, from
-- isso-comments/isso isso/db/threads.py and isso/db/comments.py. The tests build the SQLite file
-- from it. mode: 1 accepted, 2 pending, 4 deleted; Isso stores addresses anonymised (last octet 0).
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id),
    id INTEGER PRIMARY KEY,
    parent INTEGER,
    created FLOAT NOT NULL,
    modified FLOAT,
    mode INTEGER,
    remote_addr VARCHAR,
    text VARCHAR NOT NULL,
    author VARCHAR,
    email VARCHAR,
    website VARCHAR,
    likes INTEGER DEFAULT 0,
    dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0
);
INSERT INTO threads (id, uri, title) VALUES (1, '/tech/2022/rust-release.html', 'Rust 发布新版本');
INSERT INTO threads (id, uri, title) VALUES (2, '/tech/2022/python.html', NULL);
INSERT INTO comments VALUES (1, 1, NULL, 1656662400.5, NULL, 1, '198.51.100.0', '编译速度快了*很多*。', '张三', 'zhangsan@example.cn', NULL, 2, 0, X'00', 0);
INSERT INTO comments VALUES (1, 2, 1, 1656666000.0, NULL, 1, '198.51.100.0', '是的，`cargo build` 快了一倍。
第二行。', '李四', NULL, 'https://lisi.example.cn', 0, 0, X'00', 1);
INSERT INTO comments VALUES (1, 3, 2, 1656669600.0, NULL, 2, '203.0.113.0', '等审核的回复', NULL, NULL, NULL, 0, 0, X'00', 0);
INSERT INTO comments VALUES (2, 4, NULL, 1656673200.0, NULL, 4, '192.0.2.0', '', '王五', NULL, NULL, 0, 0, X'00', 0);
INSERT INTO comments VALUES (2, 5, 4, 1656676800.0, 1656680400.0, 1, '', 'Replying to a deleted comment.', 'Eve', 'eve@example.com', NULL, 0, 0, X'00', 0);
