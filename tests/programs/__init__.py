"""Cost functions under test, kept in real source files so wengert can read them."""
