/* SPDX-License-Identifier: ISC */
/* address.c: addresses read by GMime's parser (RFC 5322, with its
 * tolerance of what real clients write), then held to what a mailbox this
 * server writes to must be. It never accepts a group, a list or a route. */

#include "autoconfig.h"

#include "address.h"

#include <string.h>

#include "mime.h"
#include "text.h"

/* Nothing GMime's parser is lenient about may reach an envelope. */
static gboolean plain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at != NULL ? at + 1 : NULL;

	if (at == NULL || at == addr || strchr(addr, '@') != at || *domain == '\0' ||
	    strchr(domain, '.') == NULL || domain[0] == '.' || domain[strlen(domain) - 1] == '.' ||
	    strstr(domain, "..") != NULL)
		return FALSE;
	for (const char *p = addr; *p != '\0'; p++)
		if ((guchar)*p <= ' ' || *p == 0x7f || strchr("<>()[],;:\\\"", *p) != NULL)
			return FALSE;
	return TRUE;
}

char *address_parse(const char *text, char **name)
{
	g_autoptr(InternetAddressList) list = NULL;
	InternetAddress *ia;
	const char *addr, *display;

	if (name != NULL)
		*name = NULL;
	if (text == NULL)
		return NULL;
	while (*text == ' ' || *text == '\t')
		text++;
	if (g_ascii_strncasecmp(text, "mailto:", 7) == 0)
		text += 7;
	mime_init();
	list = internet_address_list_parse(NULL, text);
	if (list == NULL || internet_address_list_length(list) != 1)
		return NULL;
	ia = internet_address_list_get_address(list, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
		return NULL;
	addr = internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(ia));
	if (addr == NULL || !plain(addr))
		return NULL;
	display = internet_address_get_name(ia);
	if (name != NULL && display != NULL && *display != '\0') {
		*name = text_clean_line(display);
		if (**name == '\0')
			g_clear_pointer(name, g_free);
	}
	return g_ascii_strdown(addr, -1);
}

gboolean address_valid(const char *address)
{
	g_autofree char *parsed = address != NULL ? address_parse(address, NULL) : NULL;

	return parsed != NULL && g_ascii_strcasecmp(parsed, address) == 0;
}
