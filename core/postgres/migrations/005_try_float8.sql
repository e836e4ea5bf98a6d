-- A parameter's text as a number, or NULL when it is not one: what a filter
-- such as params.lr < 0.05 compares (DuckDB's TRY_CAST). The pattern spares
-- plain text the cost of the exception block, which opens a subtransaction.

CREATE FUNCTION deardiary_try_float8(v TEXT) RETURNS DOUBLE PRECISION
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF v !~* '^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$' AND v !~* '^\s*[-+]?(inf|infinity|nan)\s*$' THEN
        RETURN NULL;
    END IF;
    BEGIN
        RETURN v::DOUBLE PRECISION;
    EXCEPTION WHEN numeric_value_out_of_range OR invalid_text_representation THEN
        RETURN NULL;
    END;
END $$;
