/* SPDX-License-Identifier: ISC */
/* attendee.c: the attendee value type. Knows nothing of storage or mail. */

#include "autoconfig.h"

#include "attendee.h"

static const char *const status_names[] = {
	[ATTENDEE_PENDING] = "pending",
	[ATTENDEE_CONFIRMED] = "confirmed",
	[ATTENDEE_CANCELLED] = "cancelled",
};

Attendee *attendee_new(void)
{
	Attendee *a = g_new0(Attendee, 1);

	a->days = g_ptr_array_new_with_free_func(g_free);
	a->activities = g_ptr_array_new_with_free_func(g_free);
	a->waitlist = g_ptr_array_new_with_free_func(g_free);
	a->answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_strfreev);
	return a;
}

static void copy_list(GPtrArray *to, const GPtrArray *from)
{
	for (guint i = 0; i < from->len; i++)
		g_ptr_array_add(to, g_strdup(g_ptr_array_index(from, i)));
}

Attendee *attendee_copy(const Attendee *a)
{
	Attendee *c = attendee_new();

	c->email = g_strdup(a->email);
	c->name = g_strdup(a->name);
	c->organisation = g_strdup(a->organisation);
	c->country = g_strdup(a->country);
	c->role = g_strdup(a->role);
	c->delegation = g_strdup(a->delegation);
	c->language = g_strdup(a->language);
	c->status = a->status;
	copy_list(c->days, a->days);
	copy_list(c->activities, a->activities);
	copy_list(c->waitlist, a->waitlist);
	c->diet = g_strdup(a->diet);
	c->accessibility = g_strdup(a->accessibility);
	c->arrival = g_strdup(a->arrival);
	c->departure = g_strdup(a->departure);
	c->registered_by = g_strdup(a->registered_by);
	{
		GHashTableIter it;
		gpointer key, value;

		g_hash_table_iter_init(&it, a->answers);
		while (g_hash_table_iter_next(&it, &key, &value))
			g_hash_table_insert(c->answers, g_strdup(key), g_strdupv(value));
	}
	c->registered_at = a->registered_at;
	c->updated_at = a->updated_at;
	return c;
}

void attendee_free(Attendee *a)
{
	if (a == NULL)
		return;
	g_free(a->email);
	g_free(a->name);
	g_free(a->organisation);
	g_free(a->country);
	g_free(a->role);
	g_free(a->delegation);
	g_free(a->language);
	g_ptr_array_unref(a->days);
	g_ptr_array_unref(a->activities);
	g_ptr_array_unref(a->waitlist);
	g_free(a->diet);
	g_free(a->accessibility);
	g_free(a->arrival);
	g_free(a->departure);
	g_free(a->registered_by);
	g_hash_table_unref(a->answers);
	g_free(a);
}

const char *attendee_status_to_string(AttendeeStatus status)
{
	g_return_val_if_fail(status <= ATTENDEE_CANCELLED, "pending");
	return status_names[status];
}

gboolean attendee_status_from_string(const char *s, AttendeeStatus *status)
{
	for (guint i = 0; i < G_N_ELEMENTS(status_names); i++) {
		if (g_strcmp0(s, status_names[i]) == 0) {
			*status = i;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean attendee_list_has(const GPtrArray *list, const char *s)
{
	for (guint i = 0; i < list->len; i++)
		if (g_strcmp0(g_ptr_array_index(list, i), s) == 0)
			return TRUE;
	return FALSE;
}

char *attendee_list_join(const GPtrArray *list, const char *separator)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", i > 0 ? separator : "",
				       (const char *)g_ptr_array_index(list, i));
	return g_string_free(s, FALSE);
}
