package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/**
 * Random requests (methods, paths built from real and bogus ids, mutated JSON bodies) against a live service: every
 * answer is a 2xx, 3xx or a 4xx with the error shape; never a 5xx.
 */
class ApiFuzzTest {
    private static final String[] METHODS = {"GET", "POST", "PATCH", "DELETE", "PUT"};
    private static final String[] SUFFIXES = {
        "",
        "/start",
        "/stop",
        "/stop?mode=graceful",
        "/stop?mode=%00",
        "/pause",
        "/resume",
        "/reset",
        "/disks",
        "/disks/0",
        "/disks/-1",
        "/disks/99999999999",
        "/console",
        "/console?since=-5",
        "/console?since=x",
        "/console/ws",
        "/screen/ws",
        "/thumbnail",
        "/thumbnail?width=1",
        "/thumbnail?width=99999999999",
        "/vnc"
    };
    private static final String[] BODIES = {
        null,
        "",
        "{}",
        "[]",
        "null",
        "1",
        "\"x\"",
        "{\"name\":\"f\"}",
        "{\"name\":\"f2\",\"cpus\":2147483647}",
        "{\"name\":\"f3\",\"memory\":\"99999999999999999999T\"}",
        "{\"name\":\"f4\",\"memory\":1e400}",
        "{\"name\":\"f5\",\"boot\":{\"type\":\"kernel\",\"kernel\":\"/etc/passwd\",\"cmdline\":\"a\\u0000b\"}}",
        "{\"name\":\"f6\",\"boot\":{\"type\":\"kernel\",\"kernel\":\"\\u0000\"}}",
        "{\"name\":\"f7\",\"boot\":null}",
        "{\"name\":\"f8\",\"disks\":[null]}",
        "{\"name\":\"f9\",\"networkAdapters\":[{\"mac\":\"zz\"}]}",
        "{\"path\":\"/etc/hostname\"}",
        "{\"path\":null}",
        "{\"slot\":-3,\"path\":\"/etc/hostname\"}",
        "{\"name\":\"f10\",\"integrationServices\":{\"heartbeat\":null}}",
        "{\"name\":[1,2]}",
        "{\"cpus\":{}}",
        "{\"notes\":\"" + "x".repeat(5000) + "\"}",
        "{\"name\":\"ok-" + "a".repeat(70) + "\"}",
        "{\"name\":\"\\ud800\"}",
        "{\"boot\":{\"type\":\"demo\",\"guest\":\"../../etc/passwd\"}}",
        "{\"memory\":{\"a\":1}}",
        "{{{{",
        "\u0000",
        "{\"name\":\"t-fz\",\"type\":\"hub\"}",
        "{\"name\":\"t-fz\",\"type\":\"internal\",\"hostAddress\":\"1.2.3.4/33\"}",
        "{\"name\":\"t-fz\",\"type\":\"external\",\"externalInterface\":\"../x\"}",
        "{\"name\":\"NAT\",\"type\":\"nat\"}",
        "{\"type\":\"private\",\"hostAddress\":null}",
        "{\"name\":\"f11\",\"networkAdapters\":[{\"switchName\":\"nat\",\"vlanId\":0,\"maxBandwidth\":-1}]}"
    };

    @Test
    void noRequestGetsA5xx() {
        Random random = new Random(8);
        try (TestService s = TestService.scripted()) {
            ApiClient api = s.api;
            for (int i = 0; i < 5; i++) api.post("/api/v1/vms", "{\"name\":\"seed" + i + "\"}");
            List<String> refs = new ArrayList<>(
                    List.of("seed0", "seed1", "nope", "%2e%2e", "..", "a%00b", "00000000-0000-0000-0000-000000000000"));
            refs.add(api.get("/api/v1/vms/seed2").json().get("id").asText());
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                String method = METHODS[random.nextInt(METHODS.length)];
                String path =
                        switch (random.nextInt(7)) {
                            case 4 -> "/api/v1/switches";
                            case 5 -> "/api/v1/switches/" + refs.get(random.nextInt(refs.size()));
                            case 0 -> "/api/v1/vms";
                            case 1 -> "/api/v1/jobs/" + refs.get(random.nextInt(refs.size()));
                            case 2 -> "/api/v1/events?since=" + (random.nextBoolean() ? "-1" : "999999999999999999999");
                            case 3 -> "/api/v1/host";
                            default ->
                                "/api/v1/vms/" + refs.get(random.nextInt(refs.size()))
                                        + SUFFIXES[random.nextInt(SUFFIXES.length)];
                        };
                String body = BODIES[random.nextInt(BODIES.length)];
                ApiClient.Response r = api.send(method, path, body);
                if (r.status() >= 500)
                    failures.add(method + " " + path + " " + body + " -> " + r.status() + " " + r.body());
                else if (r.status() >= 400) {
                    assertThat(r.json().at("/error/code").asText())
                            .as(method + " " + path + ": " + r.body())
                            .isNotEmpty();
                }
            }
            assertThat(failures).isEmpty();
        }
    }
}
