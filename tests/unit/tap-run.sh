#!/bin/sh
# SPDX-License-Identifier: ISC
# Runs one GLib unit test so that it speaks TAP to automake's driver.
exec "$@" --tap
