package dev.lobbyhub.http;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The body of every HTTP error lobbyhub answers (admin API, dev endpoints): {@code {"error": code, "message": text}}. */
public record ApiError(String error, String message) {

    public static Response response(Response.Status status, String error, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(error, message)).build();
    }
}
