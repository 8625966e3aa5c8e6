package io.pganalytics.api.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * The API's JSON: requests are read strictly (an unknown field, a wrong type, a duplicate key, trailing garbage or
 * malformed text is a 400 naming the problem) and answers never show an unset field as a surprise type.
 */
public final class StrictJson {

    /** The one mapper of the API, for requests and answers. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    private StrictJson() {
    }

    /** The request's body as {@code type}; an empty body reads as {@code empty} (null when one is required). */
    public static <T> T body(Context ctx, Class<T> type, T empty) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            if (empty == null) {
                throw ApiException.badRequest("malformed_json", "a JSON body is required");
            }
            return empty;
        }
        try {
            T value = MAPPER.readValue(bytes, type);
            if (value == null) {
                throw ApiException.badRequest("malformed_json", "expected a JSON object, got null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("invalid_value", "unknown field " + path(e) + "; known fields: "
                    + e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", ")));
        } catch (MismatchedInputException e) {
            throw ApiException.badRequest("invalid_value", path(e).isEmpty()
                    ? "expected a JSON object of the route's shape"
                    : path(e) + ": expected " + simpleName(e.getTargetType()));
        } catch (JsonParseException e) {
            throw ApiException.badRequest("malformed_json", "malformed JSON: " + e.getOriginalMessage());
        } catch (JsonMappingException e) {
            // e.g. a record's constructor refusing a value
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime && !(cause instanceof JsonProcessingException)) {
                throw runtime;
            }
            throw ApiException.badRequest("invalid_value", path(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed_json", "malformed JSON: " + e.getMessage());
        }
    }

    /** The request's body as a tree (for routes that take free-form rows), strictly parsed. */
    public static JsonNode tree(Context ctx) {
        return body(ctx, JsonNode.class, null);
    }

    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String simpleName(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive() && type != boolean.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }
}
