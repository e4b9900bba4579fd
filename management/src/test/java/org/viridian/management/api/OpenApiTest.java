package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.TestService;

/** The served OpenAPI document describes exactly the routes the service serves. */
class OpenApiTest {
    @Test
    void theDocumentListsEveryRouteAndNoOther() {
        try (TestService s = TestService.scripted()) {
            var r = s.api.get("/api/v1/openapi.json");
            assertThat(r.status()).isEqualTo(200);
            JsonNode doc = r.json();
            assertThat(doc.get("openapi").asText()).startsWith("3.");
            Set<String> documented = new HashSet<>();
            doc.get("paths").properties().forEach(p -> p.getValue().properties().forEach(m -> {
                if (!m.getKey().equals("parameters"))
                    documented.add(m.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey());
            }));
            assertThat(documented)
                    .containsExactlyInAnyOrderElementsOf(s.service.server().routes());
            // Every $ref resolves.
            for (JsonNode ref : doc.findValues("$ref")) {
                String name = ref.asText().substring("#/components/schemas/".length());
                assertThat(doc.at("/components/schemas/" + name).isMissingNode())
                        .as(ref.asText())
                        .isFalse();
            }
        }
    }
}
