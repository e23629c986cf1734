package dev.lobbyhub.auth;

/** A token that cannot be trusted. The message says why, for logs, and never contains the token. */
public class InvalidTokenException extends Exception {

    public InvalidTokenException(String why) {
        super(why, null, false, false);
    }
}
