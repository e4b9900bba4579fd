package org.viridian.machine.vm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.viridian.machine.host.HostCheck;

/** Runs the test only on a host that can run VMs; elsewhere it is skipped with the host check's reason. */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresKvm.Condition.class)
public @interface RequiresKvm {
    final class Condition implements ExecutionCondition {
        private static HostCheck.Report report;

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            synchronized (Condition.class) {
                if (report == null) report = HostCheck.run();
            }
            if (report.canRunVms()) return ConditionEvaluationResult.enabled("host can run VMs");
            String why = report.items().stream()
                    .filter(i -> i.status() == HostCheck.Status.FAIL)
                    .map(i -> i.name() + ": " + i.detail())
                    .findFirst()
                    .orElse("host cannot run VMs");
            return ConditionEvaluationResult.disabled("needs KVM — " + why);
        }
    }
}
