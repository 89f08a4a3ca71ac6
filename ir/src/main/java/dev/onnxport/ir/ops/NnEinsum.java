package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;

import java.util.ArrayList;
import java.util.List;

/** Einsum equation parsing shared by the shape function and the lowerings. */
public final class NnEinsum {
    private NnEinsum() {}

    /** A parsed Einsum equation: one label string per input and the output labels ('.' = one ellipsis dim). */
    public record Equation(List<String> inputs, String output) {}

    /**
     * Parses an equation; ellipses are expanded into '.'-free labels: each ellipsis dim becomes one of the
     * characters '0'..'9' (right-aligned across operands), given the operands' ranks.
     */
    public static Equation parse(String eq, int[] ranks) {
        String e = eq.replace(" ", "");
        String lhs = e, rhs = null;
        int arrow = e.indexOf("->");
        if (arrow >= 0) { lhs = e.substring(0, arrow); rhs = e.substring(arrow + 2); }
        String[] terms = lhs.split(",", -1);
        if (terms.length != ranks.length) throw new ConversionException("Einsum equation '" + eq + "' has " + terms.length + " operands, node has " + ranks.length);
        int ell = 0;
        List<String> ins = new ArrayList<>();
        for (int t = 0; t < terms.length; t++) {
            String term = terms[t];
            int letters = term.replace("...", "").length();
            if (term.contains("...")) {
                int k = ranks[t] - letters;
                if (k < 0) throw new ConversionException("Einsum operand " + t + " has rank " + ranks[t] + " < labels in '" + term + "'");
                ell = Math.max(ell, k);
            } else if (letters != ranks[t]) {
                throw new ConversionException("Einsum operand " + t + " has rank " + ranks[t] + " but term '" + term + "'");
            }
        }
        if (ell > 10) throw new ConversionException("Einsum ellipsis covers too many dims");
        for (int t = 0; t < terms.length; t++) ins.add(expand(terms[t], ranks[t] - terms[t].replace("...", "").length()));
        String out;
        if (rhs != null) {
            out = expand(rhs, ell);
        } else {
            StringBuilder sb = new StringBuilder();
            for (int i = 10 - ell; i < 10; i++) sb.append((char) ('0' + i));
            int[] count = new int[128];
            for (String s : ins) for (char c : s.toCharArray()) count[c]++;
            for (char c = 'A'; c <= 'z'; c++) if (Character.isLetter(c) && count[c] == 1) sb.append(c);
            out = sb.toString();
        }
        for (char c : out.toCharArray()) {
            boolean found = false;
            for (String s : ins) if (s.indexOf(c) >= 0) found = true;
            if (!found) throw new ConversionException("Einsum output label '" + c + "' is not in any input");
        }
        return new Equation(ins, out);
    }

    /** Replaces "..." by the last k of the digits '0'..'9' (ellipsis dims right-aligned). */
    private static String expand(String term, int k) {
        if (!term.contains("...")) return term;
        if (k < 0) k = 0;
        StringBuilder d = new StringBuilder();
        for (int i = 10 - k; i < 10; i++) d.append((char) ('0' + i));
        return term.replace("...", d.toString());
    }

}
