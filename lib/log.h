/*
 * log: one line per event on stderr, "time level function: message".
 *
 * This is where internals go (SQL errors, OpenSSL strings, paths): never to
 * a client. The level is set once at start; lines below it are dropped.
 */
#ifndef SLUICE_LIB_LOG_H
#define SLUICE_LIB_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_SILENT };

/* Set the lowest level that is written. Default LOG_INFO. */
void log_set_level(enum log_level level);

/* Return the level set by log_set_level. */
enum log_level log_get_level(void);

/* Write one line at level, prefixed with a UTC timestamp and func. */
void log_write(enum log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_write(LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __func__, __VA_ARGS__)

#endif
