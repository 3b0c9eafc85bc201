/* SPDX-License-Identifier: ISC */
/* html.h: the text a person reads in an HTML mail part. */
#pragma once

#include <glib.h>

/* Returns the readable text of the HTML document @html (UTF-8, @len bytes):
 * one line per paragraph, line break, list item or table row, entities
 * decoded, whitespace folded as a browser would, nothing from <head>,
 * <style> or <script>, and quoted parts (<blockquote>, Gmail's and Apple
 * Mail's quote blocks) given "> " prefixes as a text client would quote
 * them. Never fails: what libxml2 cannot read yields "". Free the result. */
char *html_to_text(const char *html, gsize len);
