package org.viridian.management.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A test class whose tests share one service with the scripted engine: started before the first test, closed after the
 * last. A subclass's own {@code @BeforeAll} runs after the service is up and its {@code @AfterAll} before it closes.
 * (Test classes run one at a time, so the static fields belong to one class at a time.)
 */
public abstract class ScriptedServiceTest {
    protected static TestService service;
    protected static ApiClient api;

    @BeforeAll
    static void startScriptedService() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void closeScriptedService() {
        if (service != null) service.close();
        service = null;
        api = null;
    }
}
