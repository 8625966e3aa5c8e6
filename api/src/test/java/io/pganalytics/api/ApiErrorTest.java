package io.pganalytics.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.config.InvalidValue;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiErrorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anInvalidValueIsTheErrorShapeWithEachFieldToFix() throws Exception {
        InvalidValue invalid = new InvalidValue(List.of(new InvalidValue.Problem("targets[0].port", "must be 1 to 65535"),
                new InvalidValue.Problem("targets[0].url", "expected jdbc:postgresql://host:port/db")));

        assertThat(JSON.writeValueAsString(ApiError.of(invalid))).isEqualTo("{\"error\":\"invalid_value\","
                + "\"message\":\"targets[0].port: must be 1 to 65535; targets[0].url: expected jdbc:postgresql://host:port/db\","
                + "\"fields\":[{\"path\":\"targets[0].port\",\"reason\":\"must be 1 to 65535\"},"
                + "{\"path\":\"targets[0].url\",\"reason\":\"expected jdbc:postgresql://host:port/db\"}]}");
    }

    @Test
    void anErrorNotAboutValuesHasNoFields() throws Exception {
        assertThat(JSON.writeValueAsString(new ApiError("not_found", "no route for GET /x")))
                .isEqualTo("{\"error\":\"not_found\",\"message\":\"no route for GET /x\"}");
    }
}
