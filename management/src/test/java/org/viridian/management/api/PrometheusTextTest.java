package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.PrometheusParser;

/** The exposition writer against a strict reader: escaping, grouping, histograms. */
class PrometheusTextTest {
    @Test
    void labelValuesAndHelpAreEscapedAndReadBackAsWritten() {
        String nasty = "a \"quoted\" back\\slash\nand a line feed";
        String text = new PrometheusText()
                .family("x_total", "counter", "help with \\ and\nnewline")
                .sample("x_total", 3, "vm", nasty, "vp", "0")
                .render();
        assertThat(text)
                .contains("# HELP x_total help with \\\\ and\\nnewline\n")
                .contains("x_total{vm=\"a \\\"quoted\\\" back\\\\slash\\nand a line feed\",vp=\"0\"} 3\n");
        PrometheusParser.Document d = PrometheusParser.parse(text);
        assertThat(d.samples().getFirst().labels()).containsEntry("vm", nasty);
        assertThat(d.help()).containsEntry("x_total", "help with \\ and\nnewline");
    }

    @Test
    void familiesStayTogetherWhateverTheOrderSamplesCameIn() {
        PrometheusText t = new PrometheusText()
                .family("a", "gauge", "A")
                .family("b", "gauge", "B")
                .family("unused", "gauge", "never sampled");
        t.sample("a", 1, "vm", "x").sample("b", 2, "vm", "x").sample("a", 1.5, "vm", "y");
        String text = t.render();
        assertThat(text).doesNotContain("unused");
        PrometheusParser.Document d = PrometheusParser.parse(text);
        assertThat(d.value("a", "vm", "y")).isEqualTo(1.5);
        assertThat(text.indexOf("a{vm=\"y\"}")).isLessThan(text.indexOf("# HELP b"));
    }

    @Test
    void histogramBucketsAreCumulativeAndEndInInf() {
        String text = new PrometheusText()
                .family("lat_seconds", "histogram", "latency")
                .histogram("lat_seconds", List.of(0.001, 0.01), List.of(2L, 3L, 1L), 0.05, "op", "read")
                .render();
        PrometheusParser.Document d = PrometheusParser.parse(text);
        assertThat(d.value("lat_seconds_bucket", "op", "read", "le", "0.001")).isEqualTo(2);
        assertThat(d.value("lat_seconds_bucket", "op", "read", "le", "0.01")).isEqualTo(5);
        assertThat(d.value("lat_seconds_bucket", "op", "read", "le", "+Inf")).isEqualTo(6);
        assertThat(d.value("lat_seconds_count", "op", "read")).isEqualTo(6);
        assertThat(d.value("lat_seconds_sum", "op", "read")).isEqualTo(0.05);
    }
}
