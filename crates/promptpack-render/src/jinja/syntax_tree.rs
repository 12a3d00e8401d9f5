//! A walk over every statement and expression of minijinja's parse tree,
//! for the checks and rewrites that work on a template before it is compiled.

use minijinja::machinery::ast;

/// A node of the tree, as the walk visits it (a statement before its parts).
pub(crate) enum Node<'n, 'a> {
    Stmt(&'n ast::Stmt<'a>),
    Expr(&'n ast::Expr<'a>),
}

fn walk_statements(statements: &[ast::Stmt<'_>], visit: &mut dyn FnMut(Node<'_, '_>)) {
    for statement in statements {
        walk_statement(statement, visit);
    }
}

pub(crate) fn walk_statement(statement: &ast::Stmt<'_>, visit: &mut dyn FnMut(Node<'_, '_>)) {
    use ast::Stmt;
    visit(Node::Stmt(statement));
    match statement {
        Stmt::Template(template) => walk_statements(&template.children, visit),
        Stmt::EmitExpr(emit) => walk_expr(&emit.expr, visit),
        Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
        Stmt::ForLoop(for_loop) => {
            walk_expr(&for_loop.target, visit);
            walk_expr(&for_loop.iter, visit);
            if let Some(filter) = &for_loop.filter_expr {
                walk_expr(filter, visit);
            }
            walk_statements(&for_loop.body, visit);
            walk_statements(&for_loop.else_body, visit);
        }
        Stmt::IfCond(condition) => {
            walk_expr(&condition.expr, visit);
            walk_statements(&condition.true_body, visit);
            walk_statements(&condition.false_body, visit);
        }
        Stmt::WithBlock(with) => {
            for (target, value) in &with.assignments {
                walk_expr(target, visit);
                walk_expr(value, visit);
            }
            walk_statements(&with.body, visit);
        }
        Stmt::Set(set) => {
            walk_expr(&set.target, visit);
            walk_expr(&set.expr, visit);
        }
        Stmt::SetBlock(set) => {
            walk_expr(&set.target, visit);
            if let Some(filter) = &set.filter {
                walk_expr(filter, visit);
            }
            walk_statements(&set.body, visit);
        }
        Stmt::AutoEscape(block) => {
            walk_expr(&block.enabled, visit);
            walk_statements(&block.body, visit);
        }
        Stmt::FilterBlock(block) => {
            walk_expr(&block.filter, visit);
            walk_statements(&block.body, visit);
        }
        Stmt::Block(block) => walk_statements(&block.body, visit),
        Stmt::Import(import) => {
            walk_expr(&import.expr, visit);
            walk_expr(&import.name, visit);
        }
        Stmt::FromImport(import) => walk_expr(&import.expr, visit),
        Stmt::Extends(extends) => walk_expr(&extends.name, visit),
        Stmt::Include(include) => walk_expr(&include.name, visit),
        Stmt::Macro(definition) => walk_macro(definition, visit),
        Stmt::CallBlock(block) => {
            walk_call(&block.call, visit);
            walk_macro(&block.macro_decl, visit);
        }
        Stmt::Do(call) => walk_call(&call.call, visit),
    }
}

fn walk_macro(definition: &ast::Macro<'_>, visit: &mut dyn FnMut(Node<'_, '_>)) {
    for default in &definition.defaults {
        walk_expr(default, visit);
    }
    walk_statements(&definition.body, visit);
}

fn walk_call(call: &ast::Call<'_>, visit: &mut dyn FnMut(Node<'_, '_>)) {
    walk_expr(&call.expr, visit);
    walk_args(&call.args, visit);
}

fn walk_args(args: &[ast::CallArg<'_>], visit: &mut dyn FnMut(Node<'_, '_>)) {
    for arg in args {
        match arg {
            ast::CallArg::Pos(expr)
            | ast::CallArg::Kwarg(_, expr)
            | ast::CallArg::PosSplat(expr)
            | ast::CallArg::KwargSplat(expr) => walk_expr(expr, visit),
        }
    }
}

fn walk_expr(expr: &ast::Expr<'_>, visit: &mut dyn FnMut(Node<'_, '_>)) {
    use ast::Expr;
    visit(Node::Expr(expr));
    match expr {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(slice) => {
            walk_expr(&slice.expr, visit);
            for part in [&slice.start, &slice.stop, &slice.step].into_iter().flatten() {
                walk_expr(part, visit);
            }
        }
        Expr::UnaryOp(op) => walk_expr(&op.expr, visit),
        Expr::BinOp(op) => {
            walk_expr(&op.left, visit);
            walk_expr(&op.right, visit);
        }
        Expr::Compare(compare) => {
            walk_expr(&compare.expr, visit);
            for op in &compare.ops {
                walk_expr(&op.expr, visit);
            }
        }
        Expr::IfExpr(if_expr) => {
            walk_expr(&if_expr.test_expr, visit);
            walk_expr(&if_expr.true_expr, visit);
            if let Some(false_expr) = &if_expr.false_expr {
                walk_expr(false_expr, visit);
            }
        }
        Expr::Filter(filter) => {
            if let Some(inner) = &filter.expr {
                walk_expr(inner, visit);
            }
            walk_args(&filter.args, visit);
        }
        Expr::Test(test) => {
            walk_expr(&test.expr, visit);
            walk_args(&test.args, visit);
        }
        Expr::GetAttr(get) => walk_expr(&get.expr, visit),
        Expr::GetItem(get) => {
            walk_expr(&get.expr, visit);
            walk_expr(&get.subscript_expr, visit);
        }
        Expr::Call(call) => walk_call(call, visit),
        Expr::List(list) => list.items.iter().for_each(|item| walk_expr(item, visit)),
        Expr::Tuple(tuple) => tuple.items.iter().for_each(|item| walk_expr(item, visit)),
        Expr::Map(map) => {
            map.keys.iter().chain(&map.values).for_each(|item| walk_expr(item, visit));
        }
    }
}
