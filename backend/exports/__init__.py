"""Exports of release decisions (CSV, XLSX), naming the official who decided each one."""
