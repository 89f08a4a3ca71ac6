package dev.onnxport.cli.parts;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.List;

/**
 * atan2(y, x) elementwise (ONNX has no Atan2): atan(y / x), plus pi when x &lt; 0 and y &gt;= 0, minus pi when
 * x &lt; 0 and y &lt; 0; for x = 0 it is pi/2, -pi/2 or 0 by the sign of y. Where picks the case, so the NaN or
 * infinity of y / 0 never reaches the output. Differs from Math.atan2 only for signed zeros (atan2(-0, x &lt; 0)
 * gives pi, not -pi; atan2(+-0, -0) gives 0) and when both are infinite (NaN). The angle lies in [-pi, pi].
 */
public final class Atan2Part {
    public record Options(List<Dim> shape, int opset) {}

    private Atan2Part() {}

    public static Graph build(Options o) {
        PartGraph p = new PartGraph("atan2", o.opset());
        Value y = p.input("y", DType.FLOAT32, o.shape());
        Value x = p.input("x", DType.FLOAT32, o.shape());
        ValueType f = PartGraph.type(DType.FLOAT32, o.shape()), b = PartGraph.type(DType.BOOL, o.shape());
        Value zero = p.scalarFloat("zero", 0f);
        Value pi = p.scalarFloat("pi", (float) Math.PI), minusPi = p.scalarFloat("minus_pi", (float) -Math.PI);
        Value halfPi = p.scalarFloat("half_pi", (float) (Math.PI / 2)), minusHalfPi = p.scalarFloat("minus_half_pi", (float) (-Math.PI / 2));

        Value ratio = p.op("Div", "ratio", f, y, x);
        Value atan = p.op("Atan", "atan", f, ratio);
        Value xNeg = p.op("Less", "x_negative", b, x, zero);
        Value xZero = p.op("Equal", "x_zero", b, x, zero);
        Value yNeg = p.op("Less", "y_negative", b, y, zero);
        Value yPos = p.op("Greater", "y_positive", b, y, zero);
        // x < 0: the angle is in the left half plane
        Value shift = p.op("Where", "half_turn", f, yNeg, minusPi, pi);
        Value left = p.op("Add", "left_half", f, atan, shift);
        Value nonZero = p.op("Where", "by_x_sign", f, xNeg, left, atan);
        // x = 0: on the y axis
        Value axisNeg = p.op("Where", "y_axis_down", f, yNeg, minusHalfPi, zero);
        Value onAxis = p.op("Where", "y_axis", f, yPos, halfPi, axisNeg);
        Value angle = p.op("Where", "by_x_zero", f, xZero, onAxis, nonZero);
        p.output(angle, "angle");
        return p.g;
    }
}
