package dev.onnxport.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code onnxport passes}: every pass that --pass, --no-pass and profiles can name. */
@Command(name = "passes", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Lists every graph pass by name with a one-line description: the built-in ones (cleanup, layout) and the "
                + "portability rewrites. convert runs them through --profile, --pass and --no-pass."},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  2  bad usage"})
final class PassesCommand extends BaseCommand {
    @Option(names = "--json", description = "Print JSON: a list of {name, group, description}.")
    boolean json;

    @Override public Integer call() {
        List<PassCatalog.Entry> all = PassCatalog.all();
        if (json) {
            List<Object> list = new java.util.ArrayList<>();
            for (PassCatalog.Entry e : all) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", e.name());
                m.put("group", e.group());
                m.put("description", e.description());
                list.add(m);
            }
            out().println(Json.write(list));
        } else {
            int w = 0;
            for (PassCatalog.Entry e : all) w = Math.max(w, e.name().length());
            String group = null;
            for (PassCatalog.Entry e : all) {
                if (!e.group().equals(group)) {
                    group = e.group();
                    out().println(group + ":");
                }
                out().println(String.format(Locale.ROOT, "  %-" + w + "s  %s", e.name(), e.description()));
            }
        }
        out().flush();
        return ExitCodes.OK;
    }
}
